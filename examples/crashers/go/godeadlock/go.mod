module diagkit.example/godeadlock

go 1.19
