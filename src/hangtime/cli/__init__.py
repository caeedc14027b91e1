"""The terminal: the Typer app, its prompts and its rendering."""
