"""The recommendations app's pages, one module per family they show: the association rules (rules.py) and "what
will sell" from the demand forecast (demand.py). What pages and panels read lives in recommendations/queries.py."""

from recommendations.views.demand import what_will_sell
from recommendations.views.rules import rule_list

__all__ = ["rule_list", "what_will_sell"]
