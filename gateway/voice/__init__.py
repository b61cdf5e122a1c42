"""The voice line: missed calls answered with free call-backs, menus spoken from recorded
prompts in each language, and the final request of each call counted with its cost.

Africa's Talking posts every step of a call to ``/at/voice`` (:mod:`gateway.webhooks.voice`);
the answer is XML (:mod:`.xml`).
"""
