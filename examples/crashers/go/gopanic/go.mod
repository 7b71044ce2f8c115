module diagkit.example/gopanic

go 1.19
