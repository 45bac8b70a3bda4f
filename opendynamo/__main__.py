from opendynamo.cli import main

main()
