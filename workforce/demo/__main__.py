from workforce.demo.cli import main

raise SystemExit(main())
