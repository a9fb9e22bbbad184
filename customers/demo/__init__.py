"""Demo data for Lodestar CRM: a pure numpy/pandas generator with planted structure, and a fast loader.

`generator.generate()` makes the tables as DataFrames (no database needed); `loader.load()` writes them;
`manage.py seed_demo` does both.
"""
