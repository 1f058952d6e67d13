"""Test infrastructure shared by the test folders: the fake Hub, subprocess helpers, tiny models.

Reuse from another test folder's conftest.py::

    from tests.support.fixtures import fake_hub, hub_users, tiny_bert_dir  # noqa: F401
"""
