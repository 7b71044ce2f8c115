module diagkit.example/goroutines

go 1.19
