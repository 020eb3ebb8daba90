from carnivore_orchestration.cli import main

main()
