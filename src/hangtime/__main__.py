from hangtime.cli.main import main

main()
