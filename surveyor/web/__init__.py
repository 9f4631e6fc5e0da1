"""The web shell: templates, the render helper, static files, errors and the access log."""
