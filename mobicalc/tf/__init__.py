"""The TensorFlow bridge: verify and bench (and next, Keras import), isolated and imported lazily.

Only the commands that need TensorFlow import this package; its modules import
TensorFlow inside their functions, never at module level.
"""
