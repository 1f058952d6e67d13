"""The evaluate boundary: the metric class, its script shim and its installation."""
