"""`python -m aria_desktop.cli ...` is `aria ...` (the runs API starts training this way, with the app's Python)."""

from aria_desktop.cli import main

main()
