"""Tables and figures as functions of result files. Nothing here imports TensorFlow (tested)."""
