"""Project-wide pages: the home page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Say what exists: counts of the records this user may see, and where to go next."""
    return render(request, "home.html", {})
