"""Case operations shared by the JSON API and the pages (filing, registering, starting workflows)."""
