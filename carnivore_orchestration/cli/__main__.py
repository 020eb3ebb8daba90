from carnivore_orchestration.cli import run

run()
