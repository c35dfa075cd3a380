"""SQL store: the read model, sessions and migrations, calendar versions — used by activities, API and pages."""
