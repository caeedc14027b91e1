from hangtime.cli import main

main()
