#include "tests/sed-store/fixture.hpp"
