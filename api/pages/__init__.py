"""Server-rendered zh-CN pages (portal, citizens' forms, staff workspace, admin); the JSON API is `api/routes/`."""
