"""Bad import files, as a table: each row is a file given to a command or uploaded in admin (encodings, broken and
oversized files, bad rows), the answer it must get (exit code, words) and what must hold of the stored data: nothing
imported for a refused file, every good row of a non-strict file with each rejected line reported."""

from __future__ import annotations

import pytest

from tests.faults.inputs import (
    INTERACTIONS_YEAR_1,
    LATIN_1,
    NUL_IN_A_FIELD,
    RETAIL_FILE,
    RETAIL_YEAR_1,
    Row,
    World,
    admin_upload,
    check,
    command,
    file_of,
    huge_field,
    interactions_imported,
    nothing_imported,
    orders_imported,
    product_named,
    truncated_gzip,
    wide_file,
    with_bom,
)

pytestmark = pytest.mark.django_db

# fmt: off
ROWS = [
    # Imports: encodings.
    Row("UTF-16 file from the CLI", command("import_orders", with_bom(RETAIL_FILE, "utf-16")), exit_code=0,
        stored=orders_imported("536365", "536366")),
    Row("UTF-32 file from the CLI", command("import_orders", with_bom(RETAIL_FILE, "utf-32")), exit_code=0,
        stored=orders_imported("536365", "536366")),
    Row("UTF-16 file from the admin", admin_upload(with_bom(RETAIL_FILE, "utf-16")), 200, says=("Succeeded",),
        stored=orders_imported("536365", "536366")),
    Row("UTF-32 file from the admin", admin_upload(with_bom(RETAIL_FILE, "utf-32")), 200, says=("Succeeded",),
        stored=orders_imported("536365", "536366")),
    Row("UTF-16 without a byte-order mark", command("import_orders", file_of(RETAIL_FILE, "utf-16-le")), exit_code=1,
        says=("looks like UTF-16", "utf-16-le"), stored=nothing_imported),
    Row("UTF-16 without a mark, named", command("import_orders", file_of(RETAIL_FILE, "utf-16-le"), "--encoding",
        "utf-16-le"), exit_code=0, stored=orders_imported("536365", "536366")),
    Row("--encoding latin-1", command("import_orders", file_of(LATIN_1), "--encoding", "latin-1"), exit_code=0,
        stored=product_named("CAF\u00c3\u0083\u00c2\u00a9", "latin-1")),
    Row("admin encoding latin-1", admin_upload(file_of(LATIN_1), encoding="latin-1"), 200, says=("Succeeded",),
        stored=product_named("CAF\u00c3\u0083\u00c2\u00a9", "latin-1")),
    Row("--encoding unknown", command("import_orders", file_of(RETAIL_FILE), "--encoding", "ebcdic"), exit_code=1,
        says=("is not known",)),
    # Imports: broken and oversized files fail as a whole, with a clear error and nothing stored.
    Row("truncated gzip from the CLI", command("import_orders", truncated_gzip), exit_code=1,
        says=("truncated gzip",), stored=nothing_imported),
    Row("truncated gzip from the admin", admin_upload(truncated_gzip), 200, says=("Failed", "truncated gzip"),
        stored=nothing_imported),
    Row("10,000 columns", command("import_orders", wide_file), exit_code=1, says=("10,000 columns",),
        stored=nothing_imported),
    Row("10 MB field", command("import_orders", huge_field), exit_code=1, says=("line 2", "longer than 131,072"),
        stored=nothing_imported),
    # Imports: a bad row is rejected with its line; the rest of a non-strict file goes in.
    Row("order date pushed before year 1", command("import_orders", file_of(RETAIL_YEAR_1)), exit_code=0,
        says=("line 3",), stored=orders_imported("536365", rejected_lines=(3,))),
    Row("order date before year 1, strict", command("import_orders", file_of(RETAIL_YEAR_1), "--strict"),
        exit_code=1, says=("Line 3", "outside the years 1900-2100"), stored=nothing_imported),
    Row("interaction dated before year 1", command("import_interactions", file_of(INTERACTIONS_YEAR_1)),
        exit_code=0, says=("line 3",), stored=interactions_imported),
    Row("NUL byte in a field", command("import_orders", file_of(NUL_IN_A_FIELD)), exit_code=0, says=("NUL",),
        stored=orders_imported("536366", rejected_lines=(2,))),
]
# fmt: on


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_a_bad_file_gets_a_clear_answer_and_leaves_the_data_sound(row: Row, world: World):
    check(row, world)
