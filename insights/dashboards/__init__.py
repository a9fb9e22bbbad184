"""The manager's dashboards, read by insights/views/dashboards.py: figures.py reads the active model runs' results
(segments, revenue at risk by owner, migration, model quality, the churn calibration card), trends.py reads the
orders (revenue per month, cohort retention), and charts.py turns both into the charts' data for
static/js/charts.js."""
