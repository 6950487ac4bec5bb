""" "Your taste": a ranking learnt from the user's own ratings, offered only when it earns it."""
