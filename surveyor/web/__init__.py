"""The web shell: templates, the render helper, forms, errors and the access log.

It imports no domain, not even ``auth``: the app hands it a session loader
(``errors.SESSION_LOADER``). Static files live in ``surveyor.static_files``.
"""
