"""Pages of API lists: `page` and `page_size` (50 by default, at most 200), with the total count and links."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 200


class PagePagination(PageNumberPagination):
    """Numbered pages of a bounded size: a page past the last answers 404."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
