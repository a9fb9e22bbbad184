"""Machine-learning code of the recommendations app: pure functions over arrays, no database."""
