"""Test infrastructure shared by the test folders: the fake Hub, subprocess helpers, tiny models.

Reuse from another test folder's conftest.py (put the repo root on sys.path first, as
tests/hub/conftest.py does)::

    from tests.support.fixtures import fake_hub, hub_client, shared_hub, tiny_bert_dir  # noqa: F401

- fake_hub.FakeHub: start()/stop() or a context manager; .url, add_user/add_org,
  seed_repo/seed_folder (no HTTP), files/read/refs/history/discussions/writes/log.
- fixtures: fake_hub, shared_hub, hub_client (this process's huggingface_hub pointed at
  the fake Hub), hub_users, tiny_bert_dir, child_env; USERS holds the fake tokens.
- subproc.run_python(code, env) / hub_env(url, home, token): a fresh interpreter with
  HF_ENDPOINT etc. set before transformers/evaluate/datasets are imported.
- results.make_result / result_dict: synthetic infomem Results.
- tiny_models.make_tiny_bert(path): a 2-layer BERT + WordPiece tokenizer, offline.
"""
