"""The TensorFlow bridge: verify (and next, Keras import and bench), isolated and imported lazily.

Only the commands that need TensorFlow import this package; its modules import
TensorFlow inside their functions, never at module level.
"""
