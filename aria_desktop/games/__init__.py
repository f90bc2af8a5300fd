"""Games: one interface (game.py) over Breakout (breakout.py) and arcengine games (arc.py); catalog.py finds them."""
