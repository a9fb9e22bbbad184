"""Published model results (ModelRun and per-customer scores) arrive with the Insights issue."""
