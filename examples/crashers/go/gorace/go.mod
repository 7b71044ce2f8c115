module diagkit.example/gorace

go 1.19
