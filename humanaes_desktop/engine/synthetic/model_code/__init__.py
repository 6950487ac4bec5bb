"""Model code templates copied verbatim into every synthetic model folder.

These files are the synthetic model's own "remote code": transformers imports them from the model
folder with trust_remote_code, exactly as it imports the real HumanAesExpert code. They must not
import humanaes_desktop. This __init__ only lets the builder import them as a package; it is not
copied into model folders.
"""
