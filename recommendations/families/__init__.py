"""The recommendations app's model families, registered with insights from RecommendationsConfig.ready()."""
