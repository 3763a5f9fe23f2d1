# gateway/ packet codec: filled in by its owner
