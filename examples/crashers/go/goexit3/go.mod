module diagkit.example/goexit3

go 1.19
