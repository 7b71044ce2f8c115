module diagkit.example/goconfig

go 1.19
