package discovery

import "reflect"

type reflectField = reflect.StructField
