//! Guest-facing `spin:variables/variables@3.0.0`.

use std::sync::Arc;

use wasmtime::component::{Accessor, HasData};

use crate::bindings::spin_variables;
use crate::variables::{ComponentVariables, VariableError};

/// `HasData` marker for the variables interface.
pub struct VariablesHost;

impl HasData for VariablesHost {
    type Data<'a> = &'a Arc<ComponentVariables>;
}

impl spin_variables::Host for &Arc<ComponentVariables> {}

impl spin_variables::HostWithStore for VariablesHost {
    async fn get<T>(
        accessor: &Accessor<T, Self>,
        name: String,
    ) -> wasmtime::Result<Result<String, spin_variables::Error>> {
        Ok(accessor.with(|mut access| {
            access.get().get(&name).map_err(|e| match e {
                VariableError::InvalidName(m) => spin_variables::Error::InvalidName(m),
                VariableError::Undefined(m) => spin_variables::Error::Undefined(m),
            })
        }))
    }
}
