"""The trainable model families: the contract and the registry are in `base`; insights' own families (segments,
value, churn) are registered from InsightsConfig.ready(), the recommendations app's from its own AppConfig, so
insights never imports it (imports point customers <- insights <- recommendations)."""
