"""Insights pages: the rep's worklist and the manager's dashboards.

Until models have run they say so honestly; the Insights issue fills them with published results.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    """Who to contact today, in order of priority (an empty state until a model has run)."""
    return render(request, "insights/worklist.html", {})


@login_required
def dashboards(request: HttpRequest) -> HttpResponse:
    """Segments, value, retention and model quality (an empty state until a model has run)."""
    return render(request, "insights/dashboards.html", {})
