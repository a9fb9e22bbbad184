"""Recommendations, association rules and demand forecasts arrive with the Recommendations issue."""
