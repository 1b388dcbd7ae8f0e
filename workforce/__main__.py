from workforce.cli import main

main()
