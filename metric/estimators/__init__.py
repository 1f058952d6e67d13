"""Pure numerical estimators on activation arrays (S examples x N neurons)."""
