"""Sources: manifests (files, folders, stdin) and live clusters -> raw documents."""
