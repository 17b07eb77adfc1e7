"""One module per daemon; ``bin/`` scripts and console scripts call main()."""
