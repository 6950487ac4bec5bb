"""Model loading and inference, preprocessing, dimensions and the synthetic model.

No Qt and no SQL in this package (a test enforces it).
"""
