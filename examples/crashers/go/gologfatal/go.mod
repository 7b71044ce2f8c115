module diagkit.example/gologfatal

go 1.19
