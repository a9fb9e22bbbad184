"""The project's date and time formats (FORMAT_MODULE_PATH), per locale; what a locale does not set here comes from
Django's own."""
