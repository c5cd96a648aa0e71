"""The composition root: the one ``satchel`` command. It imports every part; nothing imports it."""
