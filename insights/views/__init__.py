"""The insights app's pages, one module per area: the rep's worklist (worklist.py) and the manager's dashboards
(dashboards.py). What several pages read lives in insights/queries.py, their forms in insights/forms.py."""

from insights.views.dashboards import dashboards
from insights.views.labels import label
from insights.views.worklist import worklist, worklist_action

__all__ = ["dashboards", "label", "worklist", "worklist_action"]
