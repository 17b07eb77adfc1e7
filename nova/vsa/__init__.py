"""Virtual Storage Arrays (Diablo's experimental Zadara VSA): records,
drive types and placement decisions; no VSA appliance backend."""
